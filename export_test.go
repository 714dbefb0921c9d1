package graphcomms

// Crash stops c the way a dying process would: its calls stop here, but their leases
// are not released, so the other replicas take them over only when the leases run out.
func Crash(c *Client) { c.shutdown(false) }
