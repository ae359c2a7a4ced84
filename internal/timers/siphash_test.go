package timers

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The test vectors of the SipHash paper (appendix A and the reference
// implementation's vectors.h): key 00 01 … 0f, message 00 01 … (n-1).
func TestSiphash24_MatchesThePaperVectors(t *testing.T) {
	var key [16]byte
	for i := range key {
		key[i] = byte(i)
	}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(i)
	}
	require.Equal(t, uint64(0x726fdb47dd0e0e31), siphash24(key, msg[:0]))
	require.Equal(t, uint64(0x74f839c593dc67fd), siphash24(key, msg[:1]))
	require.Equal(t, uint64(0xa129ca6149be45e5), siphash24(key, msg[:15]))
	require.Equal(t, uint64(0x958a324ceb064572), siphash24(key, msg[:63]))
}
