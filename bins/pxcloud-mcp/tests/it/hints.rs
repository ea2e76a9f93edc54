//! Recovery hints on the wire: each failure PXCloud (the simulator) can produce reaches the client as `isError` with its hint.
