#!/bin/sh
### BEGIN INIT INFO
# Provides: early
# Default-Start: S
# Short-Description: Runs in rcS only
### END INIT INFO
