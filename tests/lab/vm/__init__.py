"""qemu guests with real kernel modules (DRBD 8.4): the lab's VM tier.

`VmPair` boots two guests from Debian's kernel (downloaded once into a cache outside the
checkout) with a busybox initramfs; each sees the host's root read-only over virtio-9p under a
private tmpfs overlay, owns a raw virtio disk, and shares a private link with its peer. The host
drives them through a small agent on a virtio-serial port.
"""
