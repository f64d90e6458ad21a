"""The goal survey: did the learner reach the goal they set when they committed?"""
