#!/bin/sh
# mkrom.sh NASM rom.asm kernel.bin out.rom — pad the kernel, append the boot
# stub (rom.asm) so that the stub is the last 4 KiB; the ROM size is the
# kernel + 4 KiB rounded up to 64 KiB (Bochs maps it to end at 4 GiB).
set -e
nasm=$1 asm=$2 kernel=$3 out=$4
ksize=$(stat -c %s "$kernel")
rsize=$(( (ksize + 4096 + 65535) / 65536 * 65536 ))
"$nasm" -f bin -DKERNEL_SIZE="$ksize" -DROM_SIZE="$rsize" -o "$out.stub" "$asm"
cp "$kernel" "$out.tmp"
truncate -s $((rsize - 4096)) "$out.tmp"
cat "$out.tmp" "$out.stub" > "$out"
rm -f "$out.tmp" "$out.stub"
