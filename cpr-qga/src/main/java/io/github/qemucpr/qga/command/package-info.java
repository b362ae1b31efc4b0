/**
 * Typed guest agent commands and their replies. Each command is an immutable record implementing
 * {@link io.github.qemucpr.qga.GuestAgentCommand}, named after the command on the wire ({@code
 * guest-get-osinfo} is {@link io.github.qemucpr.qga.command.GuestGetOsInfo}); replies are records
 * named after what they hold. Decoding tolerates members a newer agent adds.
 */
@NullMarked
package io.github.qemucpr.qga.command;

import org.jspecify.annotations.NullMarked;
