package linelog

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactor_MasksValuesAndThePiecesOfThemAProgramPrints(t *testing.T) {
	r := NewRedactor([]string{
		"https://oauth2:ghp_TOKEN123@git.example.com/org/repo.git?ref=main&sig=SIGNATURE9",
		"ssh-ed25519 AAAAkey1 one\nssh-ed25519 AAAAkey2 two",
		"yes", // too short to mask
	})
	for in, want := range map[string]string{
		"Cloning into 'repo'...": "Cloning into 'repo'...",
		"fatal: repository 'https://git.example.com/org/repo.git?ref=main&sig=SIGNATURE9/' not found": "fatal: repository '[redacted]/' not found",
		"remote: token ghp_TOKEN123 is expired":                                                       "remote: token [redacted] is expired",
		"user oauth2:ghp_TOKEN123 refused":                                                            "user [redacted] refused",
		"sig=SIGNATURE9":                                                                              "sig=[redacted]",
		"key: ssh-ed25519 AAAAkey2 two":                                                               "key: [redacted]",
		"answer: yes":                                                                                 "answer: yes",
	} {
		assert.Equal(t, want, r.Redact(in), in)
	}
	var none *Redactor
	assert.Equal(t, "as is", none.Redact("as is"))
}
