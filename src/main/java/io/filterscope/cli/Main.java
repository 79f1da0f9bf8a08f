package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.Backend;
import io.filterscope.model.fetch.KnownModels;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code filterscope <command> [flags]} ({@code bin/filterscope}, or {@code java -jar filterscope.jar}).
 * Exit status 0 on success, 2 for a mistake in what was asked (one line on standard error, no stack
 * trace), 1 for an I/O failure or a run that failed, 130 when interrupted.
 */
@Command(name = "filterscope", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "See what a convolutional network has learned.",
        subcommands = CommandLine.HelpCommand.class)
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        Backend.configure();
        int status;
        try {
            status = run(args);
        } catch (Throwable e) {
            status = report(e, System.err);
        }
        System.exit(status);
    }

    /**
     * Says in one line on {@code err} why a command ended (nothing for an interrupt) and returns its exit status: 2 for
     * a user's mistake, 130 when interrupted, 1 otherwise. Running out of memory is one line too, not a stack trace: the
     * estimate that refuses a render too large beforehand does not count everything (under a JavaCPP cap of 600 MB
     * emoji-cnn's classes passes it and then runs out), and the JVM's own limit may be lower than the machine's.
     */
    static int report(Throwable e, java.io.PrintStream err) {
        if (e instanceof UserError) {
            err.println("filterscope: " + e.getMessage());
            return 2;
        }
        if (e instanceof InterruptedException) {
            return 130;
        }
        if (e instanceof IOException io) {
            err.println("filterscope: " + describe(io));
        } else if (e instanceof io.filterscope.engine.render.RunFailedException || e instanceof io.filterscope.engine.net.UnsupportedLayerException) {
            err.println("filterscope: " + e.getMessage());
        } else if (e instanceof OutOfMemoryError) {
            String why = e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("");
            err.println("filterscope: out of memory" + why + " (give fewer images or a smaller size, or the process more memory)");
        } else {
            err.println("filterscope: unexpected error: " + e);
        }
        return 1;
    }

    /**
     * An I/O failure in one line: a file system's refusal names the file and why (Java's own message for
     * {@code /proc/x.png} is the path alone): {@code /proc/x.png: no such file or directory}.
     */
    static String describe(IOException e) {
        if (!(e instanceof java.nio.file.FileSystemException fs) || fs.getFile() == null) {
            return e.getMessage();
        }
        return fs.getFile() + (fs.getOtherFile() == null ? "" : " -> " + fs.getOtherFile()) + ": " + why(fs);
    }

    /** Why the file system refused, in words: {@code no such file or directory}, {@code permission denied}... */
    static String why(java.nio.file.FileSystemException fs) {
        return fs.getReason() != null ? fs.getReason()
                : fs instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                : fs instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : fs instanceof java.nio.file.FileAlreadyExistsException ? "it already exists"
                : fs instanceof java.nio.file.NotDirectoryException ? "not a directory"
                : "cannot be used (" + fs.getClass().getSimpleName() + ")";
    }

    /** Runs one command line in this JVM and returns its exit status; mistakes are thrown as {@link UserError}. */
    static int run(String... args) throws Exception {
        return Cli.execute(commandLine(), args);
    }

    /** Every command with its flags, in the order {@code --help} lists them. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (Object command : new Object[] {new ServeCommand(), new WorkerCommand(), new ModelsCommand(), new GalleryCommand(),
                new ClassesCommand(), new ActivationsCommand(), new AttributionCommand(), new RerunCommand(Main::run), new TrainCommand(),
                new FetchModelCommand(KnownModels.ALL), new BenchCommand(), new QualityCommand()}) {
            // A CommandLine of its own applies the command's model transformer (serve's and worker's limit flags).
            cli.addSubcommand(new CommandLine(command));
        }
        Cli.wholeNumbers(cli);
        return cli;
    }

    /** The version Maven recorded in the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties build = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/filterscope/build.properties")) {
                if (in != null) {
                    build.load(in);
                }
            }
            return new String[] {"filterscope " + build.getProperty("version", "(unknown version)")};
        }
    }
}
