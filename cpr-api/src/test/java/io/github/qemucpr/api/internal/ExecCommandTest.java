package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The command line QEMU executes loads the state file through a JSON channel, path unparsed. */
class ExecCommandTest {

  @Test
  void theLoadIsAJsonFileChannelWhosePathIsTakenLiterally() {
    Path odd = Path.of("/var/lib/vm 1/a,offset=9\"b.state");
    List<String> argv = ExecWorkflow.execCommand(List.of("/usr/bin/qemu", "-m", "1G"), odd);

    assertThat(argv.subList(0, 4)).containsExactly("/usr/bin/qemu", "-m", "1G", "-incoming");
    assertThat(argv).hasSize(5);
    JsonNode channel = JsonMapper.builder().build().readTree(argv.get(4));
    assertThat(channel.get("channel-type").asString()).isEqualTo("main");
    assertThat(channel.at("/addr/transport").asString()).isEqualTo("file");
    assertThat(channel.at("/addr/filename").asString()).isEqualTo(odd.toString());
    assertThat(channel.at("/addr/offset").asLong()).isZero();
  }
}
