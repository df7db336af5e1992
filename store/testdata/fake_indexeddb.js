// A stand-in for the part of IndexedDB and localStorage that package store
// uses, for its js/wasm tests under Node.js, which has neither. It keeps
// what matters to the binding: events fire later, from the event loop; a
// transaction runs its requests in order when the task that made them
// ends, and then takes no more; a failed request aborts the whole
// transaction; keys are ordered as strings.
//
// It also stands in for navigator.locks (Web Locks), with which one tab
// at a time claims an account's database.
//
// globalThis.fakeIndexedDB lets a test look inside and inject failures.
(() => {
	const later = (f) => setTimeout(f, 0);
	const fire = (target, type) => {
		const handler = target["on" + type];
		if (handler) handler({ type, target });
	};
	const inactive = () => new DOMException("the transaction is not active", "TransactionInactiveError");

	const fake = {
		databases: new Map(), // name → { version, stores: Map(name → Map(key → value)) }
		failNext: "", // a DOMException name the next readwrite transaction aborts with
		durabilities: [], // the durability of every readwrite transaction
		storageFull: false, // localStorage.setItem throws QuotaExceededError
	};
	globalThis.fakeIndexedDB = fake;

	class KeyRange {
		constructor(lower, upper, lowerOpen, upperOpen) {
			Object.assign(this, { lower, upper, lowerOpen, upperOpen });
		}
		includes(k) {
			return (this.lowerOpen ? k > this.lower : k >= this.lower) && (this.upperOpen ? k < this.upper : k <= this.upper);
		}
	}
	globalThis.IDBKeyRange = {
		bound: (lower, upper, lowerOpen = false, upperOpen = false) => new KeyRange(lower, upper, lowerOpen, upperOpen),
	};

	const matching = (m, query) =>
		[...m.keys()]
			.filter((k) => query === undefined || (query instanceof KeyRange ? query.includes(k) : k === query))
			.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

	class Request {
		constructor(op) {
			Object.assign(this, { op, result: undefined, error: null, onsuccess: null, onerror: null });
		}
	}

	class Transaction {
		constructor(db, mode, options) {
			Object.assign(this, { db, mode, requests: [], state: "active", error: null, oncomplete: null, onabort: null, onerror: null });
			this.durability = (options && options.durability) || "default";
			if (mode === "readwrite") fake.durabilities.push(this.durability);
			later(() => this.run());
		}
		objectStore(name) {
			if (!this.db.data.stores.has(name)) throw new DOMException("no object store " + name, "NotFoundError");
			return new ObjectStore(this, name);
		}
		abort() {
			if (this.state !== "active") throw new DOMException("the transaction has finished", "InvalidStateError");
			this.state = "aborted";
			later(() => fire(this, "abort"));
		}
		run() {
			if (this.state === "aborted") return;
			this.state = "running";
			const stores = this.db.data.stores;
			const staged = new Map([...stores].map(([name, m]) => [name, new Map(m)]));
			let failed = null;
			if (this.mode === "readwrite" && fake.failNext) {
				failed = new DOMException("injected failure", fake.failNext);
				fake.failNext = "";
			}
			for (const r of this.requests) {
				if (failed) break;
				try {
					r.result = r.op(staged.get(r.store));
				} catch (e) {
					r.error = failed = e;
					fire(r, "error");
				}
			}
			this.state = "finished";
			if (failed) {
				this.error = failed;
				fire(this, "abort");
				return;
			}
			if (this.mode === "readwrite") for (const [name, m] of staged) stores.set(name, m);
			for (const r of this.requests) fire(r, "success");
			fire(this, "complete");
		}
	}

	class ObjectStore {
		constructor(tx, name) {
			Object.assign(this, { tx, name });
		}
		request(write, op) {
			if (this.tx.state !== "active") throw inactive();
			if (write && this.tx.mode !== "readwrite") throw new DOMException("read-only transaction", "ReadOnlyError");
			const r = new Request(op);
			r.store = this.name;
			this.tx.requests.push(r);
			return r;
		}
		put(value, key) {
			if (typeof key !== "string" && typeof key !== "number") throw new DOMException("invalid key", "DataError");
			return this.request(true, (m) => (m.set(key, structuredClone(value)), key));
		}
		delete(query) {
			return this.request(true, (m) => {
				for (const k of matching(m, query)) m.delete(k);
			});
		}
		getAll(query) {
			return this.request(false, (m) => matching(m, query).map((k) => m.get(k)));
		}
		getAllKeys(query) {
			return this.request(false, (m) => matching(m, query));
		}
	}

	class Database {
		constructor(name, data) {
			Object.assign(this, { name, data, closed: false, onversionchange: null });
			this.objectStoreNames = { contains: (n) => data.stores.has(n) };
		}
		createObjectStore(name) {
			this.data.stores.set(name, new Map());
		}
		transaction(name, mode = "readonly", options) {
			if (this.closed) throw new DOMException("the database connection is closing", "InvalidStateError");
			return new Transaction(this, mode, options);
		}
		close() {
			this.closed = true;
		}
	}

	globalThis.indexedDB = {
		open(name, version) {
			const req = new Request(null);
			later(() => {
				const data = fake.databases.get(name) || { version: 0, stores: new Map() };
				if (version < data.version) {
					req.error = new DOMException("the database is newer", "VersionError");
					fire(req, "error");
					return;
				}
				req.result = new Database(name, data);
				if (version > data.version) {
					data.version = version;
					fake.databases.set(name, data);
					fire(req, "upgradeneeded");
				}
				fire(req, "success");
			});
			return req;
		},
		deleteDatabase(name) {
			const req = new Request(null);
			later(() => {
				fake.databases.delete(name);
				fire(req, "success");
			});
			return req;
		},
	};

	// navigator.locks (Web Locks), exclusive mode: ifAvailable and steal,
	// which is all the store asks for. A held lock's request settles when
	// the callback's promise does, or rejects with AbortError when stolen.
	const held = new Map(); // name → { reject }
	const locks = {
		request(name, options, callback) {
			return new Promise((resolve, reject) => {
				later(() => {
					const current = held.get(name);
					if (current && !options.steal) {
						if (!options.ifAvailable) {
							reject(new Error("the fake Web Locks do not wait"));
							return;
						}
						Promise.resolve(callback(null)).then(resolve, reject);
						return;
					}
					if (current) {
						held.delete(name);
						current.reject(new DOMException("the lock was stolen", "AbortError"));
					}
					const me = { reject };
					held.set(name, me);
					const done = (settle) => (v) => {
						if (held.get(name) === me) held.delete(name);
						settle(v);
					};
					Promise.resolve(callback({ name, mode: "exclusive" })).then(done(resolve), done(reject));
				});
			});
		},
	};
	fake.locksHeld = () => [...held.keys()];
	if (!globalThis.navigator) globalThis.navigator = {};
	Object.defineProperty(globalThis.navigator, "locks", { value: locks, configurable: true });

	const items = new Map();
	globalThis.localStorage = {
		getItem: (k) => (items.has(k) ? items.get(k) : null),
		setItem: (k, v) => {
			if (fake.storageFull) throw new DOMException("the quota has been exceeded", "QuotaExceededError");
			items.set(k, String(v));
		},
		removeItem: (k) => void items.delete(k),
	};
})();
