package org.radstream.imaging.cohort;

import java.util.Map;
import org.radstream.imaging.Mask3D;

/** A rendered phantom before the scanner model: noiseless HU and exact labels per task. */
record PhantomImage(float[] hu, Map<String, Mask3D> truth) {}
