#!/bin/sh
/root/stop
