/**
 * The two examples of QEMU's cpr-reboot documentation ({@code docs/devel/migration/CPR.rst}), step
 * by step, as programs that start their own QEMU and say what they do: {@link
 * io.github.qemucpr.examples.Example1SharedMemory} (RAM in a shared file, kept in place) and {@link
 * io.github.qemucpr.examples.Example2SuspendedGuest} (the guest suspended to RAM through its agent
 * first, as VFIO needs). Run one with {@code java -cp cpr-examples/target/cpr.jar
 * io.github.qemucpr.examples.Example1SharedMemory}.
 */
@NullMarked
package io.github.qemucpr.examples;

import org.jspecify.annotations.NullMarked;
