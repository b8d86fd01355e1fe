#!/bin/sh
# Container entrypoint, modelled on the official redis image's:
#  - `docker run bunker --save 60 1` or `docker run bunker /etc/bunker.conf` run bunker-server
#    with those arguments, as `redis-server` would take them;
#  - started as root, it gives the files in the working directory (/data: the RDB and
#    AOF files) to the bunker user and re-executes itself as that user;
#  - it `exec`s the server, so the server is PID 1's replacement and receives SIGTERM
#    from `docker stop` directly (and saves before exiting).
set -e

BUNKER_USER="${BUNKER_USER:-bunker}"

# first arg is `-f` or `--some-option`, or first arg is `something.conf`
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- bunker-server "$@"
fi

# allow the container to be started with `--user`
if [ "$1" = 'bunker-server' ] && [ "$(id -u)" = '0' ]; then
	find . \! -user "$BUNKER_USER" -exec chown "$BUNKER_USER" '{}' +
	exec setpriv --reuid="$BUNKER_USER" --regid="$(id -g "$BUNKER_USER")" --init-groups "$0" "$@"
fi

# files created by the server (dumps, AOF) are private to its user
um="$(umask)"
if [ "$um" = '0022' ]; then
	umask 0077
fi

exec "$@"
