package io.filterscope;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file the user names as input (an image, a PNG to rerun, a checker's description), checked before it is
 * read so that a mistake names the file and says why: Java's own words for a folder are "Is a directory",
 * without the path.
 */
public final class InputFile {
    private InputFile() {
    }

    /**
     * Why {@code file} cannot be read as {@code what}: {@code no such file} or {@code is a directory, not an image};
     * null when it is a file.
     */
    public static String problem(Path file, String what) {
        return Files.isDirectory(file) ? "is a directory, not " + what : Files.exists(file) ? null : "no such file";
    }

    /** @return {@code file} @throws IOException {@code FILE: no such file} or {@code FILE: is a directory, not WHAT} */
    public static Path check(Path file, String what) throws IOException {
        String problem = problem(file, what);
        if (problem != null) {
            throw new IOException(file + ": " + problem);
        }
        return file;
    }
}
