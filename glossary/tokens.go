package glossary

// tokenKinds names the kinds of access tokens (access.TokenKind).
var tokenKinds = map[string]string{
	"personal":  "个人令牌",
	"collector": "采集器令牌",
}

// tokenStates names an access token's state (access.Token.State).
var tokenStates = map[string]string{
	"active":  "有效",
	"expired": "已过期",
	"revoked": "已吊销",
}

// TokenKind is an access token kind's name.
func TokenKind(k string) string { return Name(tokenKinds, k) }

// TokenState is an access token state's name.
func TokenState(s string) string { return Name(tokenStates, s) }
