package node

import (
	"html/template"
	"net/http"
	"strings"

	"parley/net/proto"
)

// The page of an invite link (docs/protocol.md, "Invite links"): GET
// /join/{token} names the group and offers to open the link in the app
// (parley://HOST/join/TOKEN) or, when this server serves it, in the
// browser app (/?join=TOKEN). The token is in the address, so the page
// sends no referrer and is neither cached nor indexed.

var joinPage = template.Must(template.New("join").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{if .OK}}Join {{.Info.Name}}{{else}}Invite link{{end}} · Parley</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;line-height:1.5}
a.button{display:inline-block;padding:.6em 1.2em;margin:.3em 0;border-radius:.4em;background:#2563eb;color:#fff;text-decoration:none}</style>
</head><body>
{{if .OK}}<h1>Join {{.Info.Name}}</h1>
<p>You are invited to the group <b>{{.Info.Name}}</b> ({{.Info.Members}} {{if eq .Info.Members 1}}member{{else}}members{{end}}) on the Parley server {{.Host}}.{{if .Ask}} Its admins answer requests to join.{{end}}</p>
<p><a class="button" href="{{.AppLink}}">Open in the Parley app</a></p>
{{if .Web}}<p><a class="button" href="/?join={{.Token}}">Open in the browser</a></p>{{end}}
<p>If the app does not open, start Parley, log in to {{.Host}}, and open this link again.</p>
{{else}}<h1>This invite link cannot be used</h1>
<p>{{.Why}}</p>{{end}}
</body></html>
`))

type joinView struct {
	OK, Ask, Web     bool
	Info             proto.LinkInfo
	Host, Token, Why string
	AppLink          template.URL
}

func (n *Node) joinPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
	v := joinView{Host: r.Host, Token: token, Web: n.cfg.WebDir != ""}
	info, err := proto.LinkInfo{}, error(proto.Errorf(proto.CodeNoSuchLink, "not a link token"))
	if validToken(token) {
		info, err = n.hub.LinkInfo(r.Context(), token)
	}
	status := http.StatusOK
	switch code := proto.CodeOf(err); code {
	case "":
		v.OK, v.Info, v.Ask = true, info, info.Policy == proto.PolicyAsk
		// The token is base64url: nothing in it needs escaping in a URL.
		v.AppLink = template.URL(proto.AppScheme + "://" + r.Host + proto.JoinPathPrefix + token)
	case proto.CodeNoSuchLink, proto.CodeLinkExpired:
		status = http.StatusNotFound
		v.Why = "It does not exist, was revoked, has expired, or has been used as often as it may be. Ask for a new one."
		if code == proto.CodeLinkExpired {
			v.Why = "It has expired, or has been used as often as it may be. Ask for a new one."
		}
	default:
		n.log.Error("join page", "err", err)
		status = http.StatusInternalServerError
		v.Why = "The server could not look it up. Try again later."
	}
	w.WriteHeader(status)
	if err := joinPage.Execute(w, v); err != nil {
		n.log.Debug("write join page", "err", err)
	}
}

// validToken reports whether s could be a link token (base64url).
func validToken(s string) bool {
	return s != "" && len(s) <= proto.MaxLinkTokenLen && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}
