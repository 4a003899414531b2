"""Kernel files read through descriptors kept open (limits/kernel_files.py)."""

from __future__ import annotations

from pathlib import Path

from jupyter_binder_ext.limits.kernel_files import KernelFiles


def test_a_real_cgroup_file_is_read_anew_each_time(tmp_path: Path) -> None:
    files = KernelFiles()
    # /proc/self/stat changes between reads (utime, the number of minor faults...): the
    # kept descriptor must give the kernel's current text, not the first one.
    first = files.read("/proc/self/stat")
    sum(range(200_000))
    [bytearray(4096) for _ in range(2000)]
    assert first is not None and files.read("/proc/self/stat") != first


def test_a_file_written_in_place_replaced_or_removed_is_read_as_it_is_now(tmp_path: Path) -> None:
    files = KernelFiles()
    path = tmp_path / "memory.max"
    path.write_text("100\n")
    assert files.read(path) == "100\n"
    path.write_text("200\n")  # the same file, new bytes
    assert files.read(path) == "200\n"
    replacement = tmp_path / "new"
    replacement.write_text("300\n")
    replacement.rename(path)  # another file under the name
    assert files.read(path) == "300\n"
    path.unlink()
    assert files.read(path) is None
    files.close()


def test_at_most_max_open_descriptors_are_kept(tmp_path: Path) -> None:
    files = KernelFiles(max_open=3)
    before = len(list(Path("/proc/self/fd").iterdir()))
    for index in range(10):
        path = tmp_path / f"f{index}"
        path.write_text(str(index))
        assert files.read(path) == str(index)
    assert len(list(Path("/proc/self/fd").iterdir())) - before == 3
    files.close()
    assert len(list(Path("/proc/self/fd").iterdir())) == before
