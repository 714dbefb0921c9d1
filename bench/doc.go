// Package bench compares graphcomms with msgraph-sdk-go on the same work: decoding
// callback notifications, encoding requests, decoding a call, building a bot. It is a
// separate module so that the library never requires msgraph-sdk-go; see README.md.
package bench
