"""Python side of vmxlab: build, ISO, emulators, tests, lab tools (standard library only)."""
