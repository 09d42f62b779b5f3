//! A file mapped into memory that another program may cut short while it is read.
//!
//! Reading a mapped page that lies past the end of a file that shrank raises SIGBUS,
//! whose default action kills the process: no message naming the file, no clean exit
//! status. While a [`GuardedMap`] is alive, a SIGBUS handler looks the faulting address
//! up among the live maps. For one of them it maps zeros over the rest of the map, from
//! the lost page on, so the read that faulted completes, and marks the map as truncated;
//! the reader stops parsing it and the run fails naming the file (see `input::FileWatch`). A fault at any
//! other address goes to the handler that was installed before (Rust's own report of a
//! stack overflow, or the default action), as if this one were not there.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

/// Live maps at most: the tool reads one file at a time, so a few would do.
const SLOTS: usize = 64;

/// One live map: its address range (`start == 0`: a free slot) and whether a page of it
/// was lost. Plain atomics, so the signal handler can read them without a lock.
struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    truncated: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    truncated: AtomicBool::new(false),
};
static LIVE: [Slot; SLOTS] = [FREE; SLOTS];
/// Taking and freeing slots (never touched by the handler).
static CLAIM: Mutex<()> = Mutex::new(());
static PAGE_SIZE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();
/// The SIGBUS disposition before ours, for faults that are not ours.
static mut PREVIOUS: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::uninit();

/// A read-only map of a whole file, guarded against the file shrinking under it.
pub struct GuardedMap {
    map: memmap2::Mmap,
    /// The registry slot (`None` for an empty file, which maps no page).
    slot: Option<usize>,
}

impl GuardedMap {
    /// Maps `file` (opened for reading) and guards the map.
    pub fn map(file: &File) -> io::Result<GuardedMap> {
        install_handler()?;
        // SAFETY: the map is only read. Another program may still change the file while
        // it is read: a truncation is caught here (a page of zeros, `truncated`), and
        // any change is found by the size and time check when the read ends.
        let map = unsafe { memmap2::Mmap::map(file) }?;
        if map.is_empty() {
            return Ok(GuardedMap { map, slot: None });
        }
        let _claim = CLAIM
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = LIVE
            .iter()
            .position(|slot| slot.start.load(Ordering::Acquire) == 0)
            .ok_or_else(|| io::Error::other("too many files mapped at once"))?;
        let entry = &LIVE[slot];
        entry.truncated.store(false, Ordering::Release);
        entry.len.store(map.len(), Ordering::Release);
        // Last: a non-zero start makes the slot live for the handler.
        entry.start.store(map.as_ptr() as usize, Ordering::Release);
        Ok(GuardedMap {
            map,
            slot: Some(slot),
        })
    }

    /// Whether a page of the file was gone when it was read (the file shrank): the bytes
    /// read there are zeros, not the file's.
    /// Lets the whole pages in `from..to` go from this process's memory (`madvise`
    /// `MADV_DONTNEED`): a file's pages stay in the page cache, and reading them again
    /// maps them again, with the same bytes. A long read thus holds only the pieces being
    /// parsed, not the whole file, in its resident memory.
    pub fn release(&self, from: usize, to: usize) {
        let page = PAGE_SIZE.load(Ordering::Relaxed);
        let base = self.map.as_ptr() as usize;
        let (start, end) = (
            (base + from).div_ceil(page) * page,
            (base + to.min(self.map.len())) / page * page,
        );
        if end > start {
            // SAFETY: the range is inside this mapping, which is read-only and private:
            // dropping its pages changes no byte a reader sees.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }

    pub fn truncated(&self) -> bool {
        self.slot
            .is_some_and(|slot| LIVE[slot].truncated.load(Ordering::Acquire))
    }
}

impl Deref for GuardedMap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            let _claim = CLAIM
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            // Unregistered before the map itself is unmapped (the field drops after).
            LIVE[slot].start.store(0, Ordering::Release);
        }
    }
}

fn install_handler() -> io::Result<()> {
    let mut result = Ok(());
    INSTALL.call_once(|| {
        // SAFETY: sysconf and sigaction with valid arguments; PREVIOUS is written once,
        // here, before the handler that reads it can run.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page > 0 {
                PAGE_SIZE.store(page as usize, Ordering::Relaxed);
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
            libc::sigemptyset(&mut action.sa_mask);
            let previous = std::ptr::addr_of_mut!(PREVIOUS).cast::<libc::sigaction>();
            if libc::sigaction(libc::SIGBUS, &action, previous) != 0 {
                result = Err(io::Error::last_os_error());
            }
        }
    });
    result
}

/// The SIGBUS handler. Async-signal-safe: atomics and two system calls.
extern "C" fn on_sigbus(_signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let address = unsafe { (*info).si_addr() } as usize;
    let page = PAGE_SIZE.load(Ordering::Relaxed);
    for slot in &LIVE {
        let start = slot.start.load(Ordering::Acquire);
        if start == 0 || address < start || address - start >= slot.len.load(Ordering::Acquire) {
            continue;
        }
        // Zeros from the lost page to the end of the map, in one go: every later page is
        // past the file's new end too, so the rest of the read faults no more.
        let page_start = address & !(page - 1);
        let end = (start + slot.len.load(Ordering::Acquire)).div_ceil(page) * page;
        // SAFETY: the pages lie inside one of our live read-only maps; private pages of
        // zeros replace what the file no longer holds, and unmapping the map later
        // removes them with the rest.
        let zeros = unsafe {
            libc::mmap(
                page_start as *mut libc::c_void,
                end - page_start,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if zeros != libc::MAP_FAILED {
            slot.truncated.store(true, Ordering::Release);
            return;
        }
    }
    // Not one of ours: back to the previous disposition; returning re-runs the faulting
    // access, which now raises the signal under it.
    // SAFETY: PREVIOUS was filled when this handler was installed.
    unsafe {
        libc::sigaction(
            libc::SIGBUS,
            std::ptr::addr_of!(PREVIOUS).cast::<libc::sigaction>(),
            std::ptr::null_mut(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_cut_short_under_the_map_reads_as_zeros_and_says_so() {
        let mut file = tempfile::tempfile().unwrap();
        let page = PAGE_SIZE.load(Ordering::Relaxed).max(4096);
        file.write_all(&vec![b'x'; 3 * page]).unwrap();
        let map = GuardedMap::map(&file).unwrap();
        assert!(!map.truncated());
        assert_eq!(map[2 * page], b'x');
        file.set_len(page as u64).unwrap();
        // Without the guard this read kills the process with SIGBUS.
        let lost: Vec<u8> = map[page..].to_vec();
        assert!(lost.iter().all(|&b| b == 0));
        assert!(map.truncated());
        assert_eq!(map[0], b'x');
        drop(map);
        // The slot is free again: a new map starts clean.
        let again = GuardedMap::map(&file).unwrap();
        assert!(!again.truncated());
        assert_eq!(again.len(), page);
    }
}
