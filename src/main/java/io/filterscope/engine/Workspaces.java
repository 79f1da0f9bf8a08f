package io.filterscope.engine;

import java.util.function.Supplier;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a step's arrays live. A step's temporaries go to a workspace that is reused every step, so a step
 * allocates nothing new (freed arrays would otherwise wait for the JVM to collect their small Java
 * wrappers); arrays that outlive a step (optimizer moments, masks, the frames handed out) are made outside
 * it with {@link #persistent}.
 */
public final class Workspaces {
    private static final WorkspaceConfiguration STEP = WorkspaceConfiguration.builder()
            .initialSize(0).overallocationLimit(0.2).policyAllocation(AllocationPolicy.OVERALLOCATE)
            .policyLearning(LearningPolicy.OVER_TIME).policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE).build();

    private Workspaces() {
    }

    /** Runs one step's work inside the step workspace of the calling thread. */
    public static <T> T step(Supplier<T> work) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP, "filterscope-step")) {
            return work.get();
        }
    }

    /** Runs {@code make} outside the step's workspace, for arrays that must survive the step. */
    public static <T> T persistent(Supplier<T> make) {
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return make.get();
        }
    }
}
