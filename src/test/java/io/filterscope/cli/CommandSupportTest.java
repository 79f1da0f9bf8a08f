package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.filterscope.MemorySize;
import io.filterscope.UserError;
import io.filterscope.engine.net.Network;
import io.filterscope.model.ExampleActivations;
import io.filterscope.model.FixtureModels;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memory check gallery, classes and quality make before rendering: what it counts. */
class CommandSupportTest {

    /**
     * The network that scores a model's example pictures (for a start like the data's, and to tell a dead filter), which
     * is compiled while the render's networks are held, is counted beside them: a budget that fits the render alone is
     * refused before anything is rendered. It was not (under a 400 MB JavaCPP cap, classes passed the check and then ran
     * out of memory scoring). The scoring network's size is taken from the network the scoring compiled and gave back
     * (32 pictures through the whole model at its own size, kept idle by the command line's store); a model without
     * example pictures is charged nothing for it.
     */
    @Test
    void aBudgetThatFitsTheRenderButNotTheExampleScoringBesideItIsRefused(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        LoadedModel model = new ModelStore(dir).load("tiny");
        List<String> layers = List.of("conv2");
        long render = model.bytesFor(4, 28, layers);
        model.exampleActivations().means("conv1");
        Network scored = model.idle(ExampleActivations.SLICE, model.height(), List.of("output"));
        assertNotNull(scored, "the scoring gave back a network for 32 pictures at the model's size");
        long scoring = model.forwardBytesOf(scored);
        UserError e = assertThrows(UserError.class,
                () -> CommandSupport.checkMemory("gallery", model, 4, 28, layers, "give less", render + scoring - 1));
        assertEquals("gallery: a minibatch of 4 images at 28 px needs about " + MemorySize.of(render + scoring) + " ("
                + MemorySize.of(scoring) + " of it to score the model's example pictures), more than the "
                + MemorySize.of(render + scoring - 1) + " it may take here: give less", e.getMessage());
        CommandSupport.checkMemory("gallery", model, 4, 28, layers, "give less", render + scoring);

        FixtureModels.writeManyClasses(dir, "many", 28, 10);
        LoadedModel without = new ModelStore(dir).load("many");
        CommandSupport.checkMemory("classes", without, 10, 28, List.of("output"), "give less", without.bytesFor(10, 28, List.of("output")));
    }
}
