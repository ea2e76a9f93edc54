//! `pxcloud_wait_task` on the wire: progress notifications, cancellation, the final status and the log tail.
