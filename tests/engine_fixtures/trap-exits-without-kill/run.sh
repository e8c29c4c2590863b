#!/bin/sh
# make `docker stop` fast
trap 'echo "caught stop signal, exiting"; exit 0' TERM INT

/root/stop &
wait
