"""Independent checks of what goes on the wire: a capturing receiver and the realism (conformance) rules."""
