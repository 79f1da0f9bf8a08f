package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.Backend;

/** {@code java -jar filterscope.jar <command> [flags]}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Backend.configure();
        int status;
        try {
            status = run(args);
        } catch (UserError e) {
            System.err.println("filterscope: " + e.getMessage());
            status = 2;
        } catch (InterruptedException e) {
            status = 130;
        } catch (java.io.IOException | io.filterscope.engine.render.RunFailedException
                 | io.filterscope.engine.net.UnsupportedLayerException e) {
            System.err.println("filterscope: " + e.getMessage());
            status = 1;
        } catch (Exception e) {
            System.err.println("filterscope: unexpected error: " + e);
            status = 1;
        }
        System.exit(status);
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0) {
            throw new UserError("no command given; commands: " + COMMANDS);
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "serve" -> ServeCommand.run(rest);
            case "worker" -> WorkerCommand.run(rest);
            case "models" -> ModelsCommand.run(rest);
            case "gallery" -> GalleryCommand.run(rest);
            case "classes" -> ClassesCommand.run(rest);
            case "activations" -> ActivationsCommand.run(rest);
            case "rerun" -> RerunCommand.run(rest);
            case "bench" -> BenchCommand.run(rest);
            case "train" -> TrainCommand.run(rest);
            case "fetch-model" -> FetchModelCommand.run(rest);
            default -> throw new UserError("unknown command '" + args[0] + "'; commands: " + COMMANDS);
        };
    }

    private static final String COMMANDS = "serve, worker, models, gallery, classes, activations, rerun, train, fetch-model, bench";
}
