"""`sigcheck verify IMAGE`: run the image in a real container engine, stop it, report.

A static verdict is a prediction; this watches what the kernel does. The pieces:

- `engine`: the docker/podman command line (subprocess only, never an SDK);
- `observe`: start, settle, read the process tree, stop, measure, remove;
- `verdict`: where the static findings come from and how they compare;
- `report`: text and JSON;
- `command`: the click command, imported only when `sigcheck verify` runs.
"""
