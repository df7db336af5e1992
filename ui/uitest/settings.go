package uitest

import (
	"parley/app/state"
	"parley/net/proto"
)

// WithSettings is st with the Settings screen's data loaded: three
// devices (this one, a phone online, a browser away) and two blocked
// people.
func WithSettings(st state.State) state.State {
	me := *st.Me
	me.About = "学习中 · studying UI design"
	st.Me = &me
	st.Settings = state.Settings{
		Loaded: true,
		Devices: []proto.Device{
			{ID: "9f2c0d41e7a35b6c8d1e2f30", Name: "Li's laptop", Platform: "linux", Created: at(1, 9, 0), LastActive: at(12, 15, 0), Address: "203.0.113.5", Current: true, Online: true},
			{ID: "41aa7e0c9b3d52f6e8a1c0d7", Name: "李华的手机", Platform: "android", Created: at(2, 9, 0), LastActive: at(12, 14, 20), Address: "198.51.100.7", Online: true},
			{ID: "77c1e0a9b3d52f6e8a1c0d11", Name: "Office browser", Platform: "web", Created: at(3, 9, 0), LastActive: at(10, 17, 45), Address: "192.0.2.44"},
		},
		Blocked: []proto.User{{ID: 7305, Name: "Spam Bot"}, {ID: 6120, Name: "陌生人"}},
	}
	return st
}
