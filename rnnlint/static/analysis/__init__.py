"""The generic abstract interpreter: the parsed file and its positions, the frame of a running
call."""
