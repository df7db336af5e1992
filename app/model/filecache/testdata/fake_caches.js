// A stand-in for the page's Cache Storage (caches.open, Cache.match and
// Cache.put with Responses), for the js/wasm tests under Node.js, which
// has Response but not caches.
globalThis.caches = (() => {
	const stores = new Map();
	const open = async (name) => {
		if (!stores.has(name)) stores.set(name, new Map());
		const entries = stores.get(name);
		return {
			match: async (key) => {
				const body = entries.get(String(key));
				return body === undefined ? undefined : new Response(body.slice(0));
			},
			put: async (key, resp) => {
				entries.set(String(key), await resp.arrayBuffer());
			},
		};
	};
	return {open};
})();
