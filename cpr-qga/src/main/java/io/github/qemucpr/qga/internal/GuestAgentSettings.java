package io.github.qemucpr.qga.internal;

import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The checked settings from {@code GuestAgentClient.Builder}; a zero wait means one try. */
public record GuestAgentSettings(
    Path unixSocket,
    Duration connectTimeout,
    Duration waitForSocket,
    Duration syncTimeout,
    Duration commandTimeout,
    Duration noReplyWindow,
    int maxMessageBytes,
    @Nullable String name) {}
