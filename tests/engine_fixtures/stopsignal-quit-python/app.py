import signal
import sys
import time


def stop(signum: int, frame: object) -> None:
    print("SIGTERM: exiting", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
while True:
    time.sleep(1)
