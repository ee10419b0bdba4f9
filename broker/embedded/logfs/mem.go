package logfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Mem is an in-memory FS that knows what a power failure would take away.
// It models a POSIX file system with ext4-like ordering:
//
//   - Each file holds its current content and, apart from it, the list of
//     changes (writes, truncations) made since its last Sync. Sync makes
//     them durable.
//   - Directory changes (a creation, a removal, a rename, even between two
//     directories) form one journal, in the order they were made. Each
//     change is atomic: a rename survives whole or not at all. A change is
//     durable once a directory it touches is synced (SyncDir); File.Sync
//     makes no directory change durable, so a new file whose directory was
//     not synced may vanish, and so may everything under a new directory
//     whose own entry was not synced.
//
// Crash returns a new Mem holding a state a power failure could leave:
// the durable state, plus (when given a random source) for each file a
// prefix of its unsynced changes, the last of which may be torn, and a
// prefix of the journal of unsynced directory changes. Nothing survives
// that was not written.
//
// Durable directory changes at the head of the journal are folded into
// each directory's base entries; a change that is never made durable (in
// a directory that is never synced) keeps every later change in the
// journal, so memory grows with the number of directory changes after it.
//
// Open files and locks do not survive a crash: the Mem that Crash returns
// has none, and the original Mem keeps working (a test may keep using it
// or drop it). Mem is safe for concurrent use; one mutex serializes every
// operation.
type Mem struct {
	mu      sync.Mutex
	root    *memNode
	journal []*dirChange // directory changes not folded into base entries, oldest first
	locks   map[string]bool
}

var _ FS = (*Mem)(nil)

// NewMem returns an empty Mem: a root directory ("/"; relative names are
// resolved from it too) whose entries are not yet durable.
func NewMem() *Mem {
	return &Mem{root: newMemDir(), locks: map[string]bool{}}
}

// memNode is a file or a directory.
type memNode struct {
	dir     bool
	modTime time.Time

	// Files: the current content, and the changes since the last Sync,
	// oldest first, each able to undo itself.
	data []byte
	undo []fileChange

	// Directories: the current entries, and the entries before the
	// changes still in the journal.
	entries map[string]*memNode
	base    map[string]*memNode
}

// fileChange is one unsynced write or truncation, with what it replaced.
type fileChange struct {
	truncate bool
	off      int64  // write: position
	n        int64  // write: length
	size     int64  // truncate: new size
	oldSize  int64  // size of the file before the change
	old      []byte // bytes the change overwrote (write) or cut off (truncate)
}

// dirChange is one directory change, applied atomically: one entry set or
// removed, or two for a rename.
type dirChange struct {
	entries []entryChange
	durable bool
}

// entryChange sets name in directory dir to node, or removes it when node
// is nil.
type entryChange struct {
	dir  *memNode
	name string
	node *memNode
}

func (c *dirChange) apply(entries func(dir *memNode) map[string]*memNode) {
	for _, e := range c.entries {
		if e.node == nil {
			delete(entries(e.dir), e.name)
		} else {
			entries(e.dir)[e.name] = e.node
		}
	}
}

func newMemDir() *memNode {
	return &memNode{dir: true, modTime: time.Now(), entries: map[string]*memNode{}, base: map[string]*memNode{}}
}

func newMemFile() *memNode { return &memNode{modTime: time.Now()} }

// change makes one atomic directory change and journals it as unsynced.
func (m *Mem) change(ch ...entryChange) {
	c := &dirChange{entries: ch}
	c.apply(func(d *memNode) map[string]*memNode { return d.entries })
	now := time.Now()
	for _, e := range ch {
		e.dir.modTime = now
	}
	m.journal = append(m.journal, c)
}

// write writes p at off, remembering what it replaced.
func (n *memNode) write(p []byte, off int64) {
	oldSize := int64(len(n.data))
	end := off + int64(len(p))
	c := fileChange{off: off, n: int64(len(p)), oldSize: oldSize}
	if off < oldSize {
		c.old = slices.Clone(n.data[off:min(end, oldSize)])
	}
	n.data = writeAt(n.data, p, off)
	n.undo = append(n.undo, c)
	n.modTime = time.Now()
}

// writeAt writes p at off of data, growing it with zeros as needed.
func writeAt(data, p []byte, off int64) []byte {
	if end := off + int64(len(p)); end > int64(len(data)) {
		old := len(data)
		data = slices.Grow(data, int(end)-old)[:end]
		clear(data[old:])
	}
	copy(data[off:], p)
	return data
}

// truncate sets the size, remembering what it cut off.
func (n *memNode) truncate(size int64) {
	oldSize := int64(len(n.data))
	c := fileChange{truncate: true, size: size, oldSize: oldSize}
	if size < oldSize {
		c.old = slices.Clone(n.data[size:])
		n.data = n.data[:size]
	} else {
		n.data = writeAt(n.data, nil, size) // zeros
	}
	n.undo = append(n.undo, c)
	n.modTime = time.Now()
}

// undoChange reverts c, the last change applied to data.
func undoChange(data []byte, c fileChange) []byte {
	if c.truncate {
		if c.size < c.oldSize {
			return append(data[:c.size], c.old...)
		}
		return data[:c.oldSize]
	}
	copy(data[c.off:], c.old)
	return data[:c.oldSize]
}

// ---------------------------------------------------------------- paths

func splitPath(name string) []string {
	p := path.Clean("/" + filepath.ToSlash(name))
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// lookup returns the node at parts.
func (m *Mem) lookup(op, name string, parts []string) (*memNode, error) {
	n := m.root
	for _, p := range parts {
		if !n.dir {
			return nil, pathErr(op, name, syscall.ENOTDIR)
		}
		n = n.entries[p]
		if n == nil {
			return nil, pathErr(op, name, fs.ErrNotExist)
		}
	}
	return n, nil
}

// parent returns the directory holding name's entry, and the entry's name.
func (m *Mem) parent(op, name string) (*memNode, string, error) {
	parts := splitPath(name)
	if len(parts) == 0 {
		return nil, "", pathErr(op, name, syscall.EINVAL) // the root
	}
	d, err := m.lookup(op, name, parts[:len(parts)-1])
	if err != nil {
		return nil, "", err
	}
	if !d.dir {
		return nil, "", pathErr(op, name, syscall.ENOTDIR)
	}
	return d, parts[len(parts)-1], nil
}

// ---------------------------------------------------------------- FS

// OpenFile implements FS.
func (m *Mem) OpenFile(name string, flag int) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent("open", name)
	if err != nil {
		return nil, err
	}
	n := d.entries[base]
	switch {
	case n == nil && flag&os.O_CREATE == 0:
		return nil, pathErr("open", name, fs.ErrNotExist)
	case n == nil:
		n = newMemFile()
		m.change(entryChange{d, base, n})
	case flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, pathErr("open", name, fs.ErrExist)
	case n.dir:
		return nil, pathErr("open", name, syscall.EISDIR)
	}
	f := &memFile{m: m, n: n, name: name}
	switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_RDONLY:
		f.read = true
	case os.O_WRONLY:
		f.write = true
	default:
		f.read, f.write = true, true
	}
	if flag&os.O_TRUNC != 0 && f.write && len(n.data) > 0 {
		n.truncate(0)
	}
	return f, nil
}

// Stat implements FS.
func (m *Mem) Stat(name string) (fs.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup("stat", name, splitPath(name))
	if err != nil {
		return nil, err
	}
	return n.info(path.Base(filepath.ToSlash(name))), nil
}

// ReadDir implements FS.
func (m *Mem) ReadDir(name string) ([]fs.DirEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.lookup("readdir", name, splitPath(name))
	if err != nil {
		return nil, err
	}
	if !d.dir {
		return nil, pathErr("readdir", name, syscall.ENOTDIR)
	}
	names := slices.Sorted(maps.Keys(d.entries))
	out := make([]fs.DirEntry, len(names))
	for i, e := range names {
		out[i] = fs.FileInfoToDirEntry(d.entries[e].info(e))
	}
	return out, nil
}

// Mkdir implements FS.
func (m *Mem) Mkdir(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent("mkdir", name)
	if err != nil {
		return err
	}
	if d.entries[base] != nil {
		return pathErr("mkdir", name, fs.ErrExist)
	}
	m.change(entryChange{d, base, newMemDir()})
	return nil
}

// MkdirAll implements FS.
func (m *Mem) MkdirAll(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.root
	for _, p := range splitPath(name) {
		n := d.entries[p]
		if n == nil {
			n = newMemDir()
			m.change(entryChange{d, p, n})
		} else if !n.dir {
			return pathErr("mkdir", name, syscall.ENOTDIR)
		}
		d = n
	}
	return nil
}

// Rename implements FS.
func (m *Mem) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	od, obase, err := m.parent("rename", oldname)
	if err != nil {
		return err
	}
	nd, nbase, err := m.parent("rename", newname)
	if err != nil {
		return err
	}
	n := od.entries[obase]
	if n == nil {
		return pathErr("rename", oldname, fs.ErrNotExist)
	}
	if target := nd.entries[nbase]; target != nil {
		switch {
		case target == n:
			return nil
		case target.dir && !n.dir:
			return pathErr("rename", newname, syscall.EISDIR)
		case !target.dir && n.dir:
			return pathErr("rename", newname, syscall.ENOTDIR)
		case target.dir && len(target.entries) > 0:
			return pathErr("rename", newname, syscall.ENOTEMPTY)
		}
	}
	if n.dir {
		op, np := splitPath(oldname), splitPath(newname)
		if len(np) > len(op) && slices.Equal(np[:len(op)], op) {
			return pathErr("rename", newname, syscall.EINVAL) // into itself
		}
	}
	m.change(entryChange{od, obase, nil}, entryChange{nd, nbase, n})
	return nil
}

// Remove implements FS.
func (m *Mem) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent("remove", name)
	if err != nil {
		return err
	}
	n := d.entries[base]
	if n == nil {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	if n.dir && len(n.entries) > 0 {
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	m.change(entryChange{d, base, nil})
	return nil
}

// RemoveAll implements FS. Like os.RemoveAll it removes the entries under
// name one by one, deepest first, so a crash may leave part of them.
func (m *Mem) RemoveAll(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent("removeall", name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	n := d.entries[base]
	if n == nil {
		return nil
	}
	if n.dir {
		m.removeTree(n)
	}
	m.change(entryChange{d, base, nil})
	return nil
}

func (m *Mem) removeTree(d *memNode) {
	for _, name := range slices.Sorted(maps.Keys(d.entries)) {
		if c := d.entries[name]; c.dir {
			m.removeTree(c)
		}
		m.change(entryChange{d, name, nil})
	}
}

// SyncDir implements FS.
func (m *Mem) SyncDir(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.lookup("sync", name, splitPath(name))
	if err != nil {
		return err
	}
	if !d.dir {
		return pathErr("sync", name, syscall.ENOTDIR)
	}
	for _, c := range m.journal {
		if !c.durable && slices.ContainsFunc(c.entries, func(e entryChange) bool { return e.dir == d }) {
			c.durable = true
		}
	}
	// Fold the durable head of the journal into the base entries.
	k := 0
	for k < len(m.journal) && m.journal[k].durable {
		m.journal[k].apply(func(d *memNode) map[string]*memNode { return d.base })
		k++
	}
	m.journal = slices.Delete(m.journal, 0, k)
	return nil
}

// Lock implements FS with a lock private to this Mem.
func (m *Mem) Lock(name string) (io.Closer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	parts := splitPath(name)
	d, err := m.lookup("lock", name, parts)
	if err != nil {
		return nil, err
	}
	if !d.dir {
		return nil, pathErr("lock", name, syscall.ENOTDIR)
	}
	key := strings.Join(parts, "/")
	if m.locks[key] {
		return nil, pathErr("lock", name, ErrLocked)
	}
	m.locks[key] = true
	return &memLock{m: m, key: key}, nil
}

type memLock struct {
	m    *Mem
	key  string
	once sync.Once
}

func (l *memLock) Close() error {
	l.once.Do(func() {
		l.m.mu.Lock()
		delete(l.m.locks, l.key)
		l.m.mu.Unlock()
	})
	return nil
}

// ---------------------------------------------------------------- crash

// Crash returns a new Mem holding a state this one could be left in by a
// power failure now. With a nil rng that is exactly the durable state:
// the content of every file as of its last Sync and every durable
// directory change. With an rng, each file also keeps a random prefix of
// its unsynced changes, the last of which may be torn (a random prefix of
// its bytes, and possibly zeros up to its end, as when the file size
// reached the disk before the data), and a random prefix of the journal
// of directory changes survives besides the durable ones. The draws
// depend only on rng and the file system's content, so a seeded rng
// reproduces a crash.
func (m *Mem) Crash(rng *rand.Rand) *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &crasher{rng: rng, done: map[*memNode]*memNode{}, entries: map[*memNode]map[string]*memNode{}}
	cut := c.keep(len(m.journal))
	for i, ch := range m.journal {
		if ch.durable || i < cut {
			ch.apply(c.entriesOf)
		}
	}
	return &Mem{root: c.clone(m.root), locks: map[string]bool{}}
}

type crasher struct {
	rng     *rand.Rand
	done    map[*memNode]*memNode            // a node reachable by two names stays one node
	entries map[*memNode]map[string]*memNode // directories changed by surviving journal entries
}

// entriesOf returns the entries directory d has after the crash (so far).
func (c *crasher) entriesOf(d *memNode) map[string]*memNode {
	e := c.entries[d]
	if e == nil {
		e = maps.Clone(d.base)
		c.entries[d] = e
	}
	return e
}

// keep draws how many of n unsynced changes survive.
func (c *crasher) keep(n int) int {
	if c.rng == nil || n == 0 {
		return 0
	}
	return c.rng.IntN(n + 1)
}

func (c *crasher) clone(n *memNode) *memNode {
	if cn := c.done[n]; cn != nil {
		return cn
	}
	cn := &memNode{dir: n.dir, modTime: n.modTime}
	c.done[n] = cn
	if !n.dir {
		cn.data = c.crashData(n)
		return cn
	}
	entries := c.entriesOf(n)
	cn.entries = map[string]*memNode{}
	for _, name := range slices.Sorted(maps.Keys(entries)) { // sorted: reproducible draws
		cn.entries[name] = c.clone(entries[name])
	}
	cn.base = maps.Clone(cn.entries)
	return cn
}

// crashData returns the content of file n after a crash: its synced
// content plus a prefix of its unsynced changes, the last maybe torn.
func (c *crasher) crashData(n *memNode) []byte {
	data := slices.Clone(n.data)
	k := c.keep(len(n.undo))
	for i := len(n.undo) - 1; i > k; i-- {
		data = undoChange(data, n.undo[i])
	}
	if k == len(n.undo) {
		return data
	}
	// Change k is lost, or torn when it is a write.
	ch := n.undo[k]
	var written []byte
	if c.rng != nil && !ch.truncate && ch.n > 0 && c.rng.IntN(2) == 0 {
		written = slices.Clone(data[ch.off : ch.off+ch.n])
	}
	data = undoChange(data, ch)
	if written != nil {
		cut := c.rng.Int64N(ch.n)
		if c.rng.IntN(2) == 0 {
			clear(written[cut:]) // the size made it, the data did not
		} else {
			written = written[:cut]
		}
		data = writeAt(data, written, ch.off)
	}
	return data
}

// String lists the tree, every file with its size and number of unsynced
// changes, and the number of unsynced directory changes (for test
// failures).
func (m *Mem) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	unsynced := 0
	for _, c := range m.journal {
		if !c.durable {
			unsynced++
		}
	}
	fmt.Fprintf(&b, "%d unsynced directory changes\n", unsynced)
	var walk func(n *memNode, name string, depth int)
	walk = func(n *memNode, name string, depth int) {
		ind := strings.Repeat("  ", depth)
		if !n.dir {
			fmt.Fprintf(&b, "%s%s %d bytes, %d unsynced changes\n", ind, name, len(n.data), len(n.undo))
			return
		}
		fmt.Fprintf(&b, "%s%s/\n", ind, name)
		for _, e := range slices.Sorted(maps.Keys(n.entries)) {
			walk(n.entries[e], e, depth+1)
		}
	}
	walk(m.root, "", 0)
	return b.String()
}

// ---------------------------------------------------------------- files

type memFile struct {
	m           *Mem
	n           *memNode
	name        string
	read, write bool
	closed      bool
}

func (f *memFile) check(op string, write bool) error {
	switch {
	case f.closed:
		return pathErr(op, f.name, os.ErrClosed)
	case write && !f.write, !write && !f.read:
		return pathErr(op, f.name, syscall.EBADF)
	}
	return nil
}

// ReadAt implements io.ReaderAt.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", f.name, syscall.EINVAL)
	}
	if off >= int64(len(f.n.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt implements io.WriterAt.
func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("write", f.name, syscall.EINVAL)
	}
	f.n.write(p, off)
	return len(p), nil
}

// Truncate implements File.
func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	f.n.truncate(size)
	return nil
}

// Sync implements File.
func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("sync", f.name, os.ErrClosed)
	}
	f.n.undo = nil
	return nil
}

// Stat implements File.
func (f *memFile) Stat() (fs.FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return nil, pathErr("stat", f.name, os.ErrClosed)
	}
	return f.n.info(path.Base(filepath.ToSlash(f.name))), nil
}

// Close implements File.
func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, os.ErrClosed)
	}
	f.closed = true
	return nil
}

// ---------------------------------------------------------------- info

func (n *memNode) info(name string) fs.FileInfo {
	fi := memInfo{name: name, dir: n.dir, modTime: n.modTime}
	if !n.dir {
		fi.size = int64(len(n.data))
	}
	return fi
}

type memInfo struct {
	name    string
	size    int64
	dir     bool
	modTime time.Time
}

func (fi memInfo) Name() string       { return fi.name }
func (fi memInfo) Size() int64        { return fi.size }
func (fi memInfo) ModTime() time.Time { return fi.modTime }
func (fi memInfo) IsDir() bool        { return fi.dir }
func (fi memInfo) Sys() any           { return nil }
func (fi memInfo) Mode() fs.FileMode {
	if fi.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
