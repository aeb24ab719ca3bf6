package org.radstream.imaging.eval;

import java.io.IOException;
import org.radstream.imaging.cohort.Cohort;

/**
 * A segmentation method evaluated on a held-out cohort: the HU baseline now, trained models and
 * the full pipeline later. The tuning cohort is where a method may choose its free parameters
 * (thresholds); it must never be the evaluation cohort.
 */
public interface EvaluationMethod {
    /** The name used on the command line ({@code --method}). */
    String name();

    /** @param tuning the cohort to choose parameters on, or null for the method's defaults */
    EvaluationReport evaluate(Cohort evaluation, Cohort tuning) throws IOException;
}
