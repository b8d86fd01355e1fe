# syntax=docker/dockerfile:1
# Bunker: a Redis 7.0-compatible server on Bun. Follows the official redis image's
# conventions: non-root user, /data volume as working directory, an entrypoint that
# owns /data and drops privileges, protected mode off and all interfaces bound.

# The same Bun as package.json's devDependency (the slim images are Debian: setpriv is there).
ARG BUN_VERSION=1.4.5

# ---- dependencies, installed from the lockfile ----------------------------------------
FROM oven/bun:${BUN_VERSION}-slim AS deps
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production

# ---- runtime ---------------------------------------------------------------------------
FROM oven/bun:${BUN_VERSION}-slim
RUN groupadd --system --gid 999 bunker \
 && useradd --system --uid 999 --gid bunker --home-dir /data --no-create-home bunker \
 && mkdir /data && chown bunker:bunker /data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY docker/docker-entrypoint.sh docker/bunker-server /usr/local/bin/
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh /usr/local/bin/bunker-server

VOLUME /data
WORKDIR /data
EXPOSE 6379
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["bun", "/app/src/healthcheck.ts"]
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["bunker-server"]
