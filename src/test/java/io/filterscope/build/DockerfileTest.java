package io.filterscope.build;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * There is no Docker engine here to build the image, so this checks what can go stale without one: every
 * file the Dockerfile copies, the build outputs it takes, the profile it builds with, and the commands,
 * flags and routes it and the README's docker examples name all exist in the repository.
 */
class DockerfileTest {
    private static final Path ROOT = Path.of("");

    private static String read(String path) throws IOException {
        return Files.readString(ROOT.resolve(path));
    }

    @Test
    void everyFileTheImageCopiesFromTheRepositoryExists() throws IOException {
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(\\S+)").matcher(read("Dockerfile"));
        int copies = 0;
        while (copy.find()) {
            copies++;
            assertTrue(Files.exists(ROOT.resolve(copy.group(1))), "Dockerfile copies " + copy.group(1) + ", which is missing");
        }
        assertTrue(copies >= 4, "pom, src, webroot and models are copied");
    }

    @Test
    void theBuildOutputsTheRuntimeStageTakesAreWhatThePomProduces() throws IOException {
        String docker = read("Dockerfile");
        String pom = read("pom.xml");
        assertTrue(docker.contains("COPY --from=build /src/target/filterscope.jar") && pom.contains("<finalName>filterscope</finalName>"));
        assertTrue(docker.contains("COPY --from=build /src/target/lib") && pom.contains("${project.build.directory}/lib"));
        assertTrue(docker.contains("-Pcuda") && pom.contains("<id>cuda</id>"), "the image is built with the pom's cuda profile");
        assertTrue(docker.contains("ENTRYPOINT [\"java\", \"-jar\", \"filterscope.jar\"]"));
        assertTrue(docker.contains("USER filterscope") && docker.contains("VOLUME [\"/opt/filterscope/models\"]"));
    }

    @Test
    void theHealthCheckAsksARouteTheServerServes() throws IOException {
        Matcher health = Pattern.compile("HEALTHCHECK[^\\n]*\\n\\s*CMD curl[^\\n]*http://127\\.0\\.0\\.1:8080(/\\S+)").matcher(read("Dockerfile"));
        assertTrue(health.find(), "a HEALTHCHECK with curl");
        assertTrue(read("src/main/java/io/filterscope/server/http/HttpVerticle.java").contains("\"" + health.group(1) + "\""),
                health.group(1) + " is a route");
    }

    @Test
    void theImagesDefaultCommandAndTheReadmesDockerExamplesUseRealCommandsAndFlags() throws IOException {
        Matcher cmd = Pattern.compile("(?m)^CMD \\[(.*)]").matcher(read("Dockerfile"));
        assertTrue(cmd.find());
        List<String> examples = new java.util.ArrayList<>();
        examples.add("docker run filterscope " + cmd.group(1).replace("\"", "").replace(",", ""));
        Matcher run = Pattern.compile("(?m)^\\s*docker run [^\\n]*").matcher(read("README.md"));
        while (run.find()) {
            examples.add(run.group());
        }
        assertTrue(examples.size() >= 3, "the README shows docker run for one node and for a cluster: " + examples);
        picocli.CommandLine cli = io.filterscope.cli.Main.commandLine();
        for (String example : examples) {
            Matcher m = Pattern.compile(" filterscope(?: (\\w[\\w-]*)(.*))?$").matcher(example);
            assertTrue(m.find(), "names the image: " + example);
            if (m.group(1) == null) {
                continue; // the image's default command, checked as the first example
            }
            String command = m.group(1);
            assertTrue(cli.getSubcommands().containsKey(command), command + " is a command");
            Matcher flag = Pattern.compile("--([a-z][a-z-]*)").matcher(m.group(2));
            while (flag.find()) {
                assertTrue(cli.getSubcommands().get(command).getCommandSpec().findOption("--" + flag.group(1)) != null,
                        "--" + flag.group(1) + " is a flag of " + command + " (" + example + ")");
            }
        }
    }

    @Test
    void theBuildContextLeavesOutBuildOutputs() throws IOException {
        assertTrue(read(".dockerignore").lines().anyMatch(l -> l.trim().equals("target/")));
    }
}
