package io.github.qemucpr.qmp.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Clients that got the same command list from QEMU keep one copy of it between them. */
class CommandListsTest {

  @Test
  void theSameNamesGiveTheSameListAndOtherNamesAnother() {
    Set<String> first = CommandLists.shared(new HashSet<>(List.of("query-status", "stop", "cont")));
    Set<String> again = CommandLists.shared(new HashSet<>(List.of("cont", "query-status", "stop")));
    Set<String> other = CommandLists.shared(new HashSet<>(List.of("query-status", "stop")));

    assertThat(again).isSameAs(first);
    assertThat(other).isNotSameAs(first).containsExactlyInAnyOrder("query-status", "stop");
    assertThat(first).containsExactlyInAnyOrder("query-status", "stop", "cont");
    assertThatThrownBy(() -> first.add("quit")).isInstanceOf(UnsupportedOperationException.class);
  }
}
