#!/bin/busybox sh
# The initramfs's /init (busybox sh): load the few modules needed to reach the host, mount the
# host's root read-only over virtio-9p with a tmpfs overlay on top, put the unpacked kernel's
# module tree at /lib/modules, and switch_root into it to run the guest init from the checkout.
# Parameters come on the kernel command line: pyha.modules=<host path of lib/modules/<release>>
# and pyha.init=<host path of the guest init>. Any failure powers the guest off: the host sees
# qemu exit and shows the console log.

/bin/busybox --install -s /bin
export PATH=/bin

fail() {
    echo "pyha initramfs: $*" >/dev/console
    poweroff -f
}

mkdir -p /proc /sys /dev /lower /ovl /newroot
mount -t proc proc /proc || fail "mount /proc"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"

for module in /modules/*.ko; do
    insmod "$module" || fail "insmod $module"
done

modules=""
init=""
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        pyha.modules=*) modules="${arg#pyha.modules=}" ;;
        pyha.init=*) init="${arg#pyha.init=}" ;;
    esac
done
[ -n "$modules" ] && [ -n "$init" ] || fail "pyha.modules= and pyha.init= are required"

# cache=loose: the host root does not change under a test in ways the guest must see at once,
# and under TCG every 9p round trip the guest saves is worth it.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /lower \
    || fail "mount host root over 9p"
mount -t tmpfs -o mode=0755 overlay-upper /ovl || fail "mount tmpfs for the overlay"
mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work /newroot \
    || fail "mount the overlay"

release="$(uname -r)"
mkdir -p "/newroot/lib/modules/$release"
mount -o bind "/lower$modules" "/newroot/lib/modules/$release" || fail "bind the module tree"

mount -o move /dev /newroot/dev || fail "move /dev"
umount /proc
exec switch_root /newroot /usr/bin/python3 -I -S "$init"
