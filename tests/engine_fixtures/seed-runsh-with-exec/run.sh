#!/bin/sh
exec /root/stop
