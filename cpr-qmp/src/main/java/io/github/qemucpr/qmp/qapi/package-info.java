/**
 * The whole QMP schema of QEMU, typed: one sub-package per module of QEMU's QAPI schema, with a
 * record per struct, a sealed interface per union and alternate, an open enum per enum, a {@link
 * io.github.qemucpr.qmp.QmpCommand} record per command and a record per event. Generated from the
 * schemas of several QEMU versions at once: {@link io.github.qemucpr.qmp.qapi.QemuVersions} marks
 * what only some of them have. This package holds what the generated code shares.
 *
 * <pre>{@code
 * List<CpuInfoFast> cpus = qmp.execute(new QueryCpusFast());
 * qmp.execute(new BlockdevAdd(new BlockdevOptions.Qcow2(...)));
 * }</pre>
 *
 * <p>Generated classes load only when used. Replies keep the members this SDK does not know ({@link
 * io.github.qemucpr.qmp.qapi.QapiObject#unknownMembers()}), and enums keep unknown values.
 */
@NullMarked
package io.github.qemucpr.qmp.qapi;

import org.jspecify.annotations.NullMarked;
