#!/bin/sh
# The main command of `make demo`: leaves three orphans behind, shows that
# boxinit (PID 1) adopted and then reaped them, and exits 3.
for i in 1 2 3; do (sleep 1 &); done
echo "main: left 3 orphans behind, adopted by PID 1:"
ps -o pid,ppid,stat,args
sleep 1.5
echo "main: a second later they have exited and been reaped (no Z):"
ps -o pid,ppid,stat,args
exit 3
