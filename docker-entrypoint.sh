#!/bin/sh
# Bring the database to the newest migration, then hand over to `sinkron`.
set -e
sinkron db upgrade
exec sinkron "$@"
