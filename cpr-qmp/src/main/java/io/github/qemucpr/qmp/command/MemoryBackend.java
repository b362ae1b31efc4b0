package io.github.qemucpr.qmp.command;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One memory backend, from {@link QueryMemdev}. It does not say which kind of backend it is (file,
 * memfd, ram) nor its {@code mem-path}: ask {@code qom-get} on {@code /objects/ID} for those.
 *
 * @param id the backend's id; absent on QEMU before 2.11
 * @param size the size in bytes
 * @param merge whether KSM may merge its pages
 * @param dump whether it is included in a core dump
 * @param prealloc whether it was preallocated
 * @param share whether it is mapped shared ({@code share=on}), which {@code x-ignore-shared} needs
 * @param reserve whether swap space is reserved for it; absent on QEMU before 6.1
 * @param hostNodes the host NUMA nodes it is bound to; empty when none
 * @param policy the host NUMA policy, such as {@code default} or {@code bind}
 */
public record MemoryBackend(
    @Nullable String id,
    long size,
    boolean merge,
    boolean dump,
    boolean prealloc,
    boolean share,
    @Nullable Boolean reserve,
    List<Integer> hostNodes,
    String policy) {
  /** Copies the list; an absent list becomes empty and an absent policy {@code default}. */
  public MemoryBackend {
    hostNodes = hostNodes == null ? List.of() : List.copyOf(hostNodes);
    policy = Objects.requireNonNullElse(policy, "default");
  }
}
