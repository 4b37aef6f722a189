package memstore

// HeldBiometrics reports whether the store itself still holds session id's
// biometric values, without a read that would drop them on its own.
func HeldBiometrics(st *Store, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.sessions[id]
	return ok && e.s.HasBiometrics()
}
