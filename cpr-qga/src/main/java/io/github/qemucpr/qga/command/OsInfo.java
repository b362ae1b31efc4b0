package io.github.qemucpr.qga.command;

import org.jspecify.annotations.Nullable;

/**
 * The reply to {@link GuestGetOsInfo}. Every member is optional: the {@code os-release} ones are
 * missing when the guest has no {@code /etc/os-release}.
 *
 * @param kernelRelease {@code uname -r}, such as {@code 6.1.0-25-amd64}
 * @param kernelVersion {@code uname -v}
 * @param machine {@code uname -m}, such as {@code x86_64}
 * @param id {@code ID} from {@code os-release}, such as {@code debian}
 * @param name {@code NAME}
 * @param prettyName {@code PRETTY_NAME}
 * @param version {@code VERSION}
 * @param versionId {@code VERSION_ID}
 * @param variant {@code VARIANT}
 * @param variantId {@code VARIANT_ID}
 */
public record OsInfo(
    @Nullable String kernelRelease,
    @Nullable String kernelVersion,
    @Nullable String machine,
    @Nullable String id,
    @Nullable String name,
    @Nullable String prettyName,
    @Nullable String version,
    @Nullable String versionId,
    @Nullable String variant,
    @Nullable String variantId) {}
