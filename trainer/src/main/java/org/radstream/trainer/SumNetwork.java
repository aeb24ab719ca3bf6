package org.radstream.trainer;

/**
 * Which of SUM's two networks a run publishes. {@link #BETTER} is the one with the higher Dice on
 * the scans that choose how it is read (the SE-UNet on a tie). The paper publishes its SE-UNet
 * ("SE-UNet + SUM", the final result of its Table 1) and measures SUM as that network against the
 * same SE-UNet trained alone; {@link #SE_UNET} and {@link #RES_UNET} publish one network whatever
 * the scores, so that each can be measured against its own single-network baseline.
 */
public enum SumNetwork {
    BETTER,
    SE_UNET,
    RES_UNET;

    /** Whether the run publishes its SE-UNet, given both networks' Dice on the scans that choose. */
    boolean picksSeUnet(double seUnetDice, double resUnetDice) {
        return switch (this) {
            case BETTER -> !(resUnetDice > seUnetDice);
            case SE_UNET -> true;
            case RES_UNET -> false;
        };
    }
}
