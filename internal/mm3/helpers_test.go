package mm3

import (
	"time"

	"github.com/homemmsc/homemmsc/internal/mm3/smtptest"
)

func config(s *smtptest.Server, mode Security, to ...string) Config {
	return Config{Host: "127.0.0.1", Port: s.Port, Security: mode, User: smtptest.User, Password: smtptest.Password,
		From: "homemmsc@example.org", To: to, RootCAs: s.Pool, Timeout: 20 * time.Second}
}
