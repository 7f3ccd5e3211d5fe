import Foundation
import MetaLearner
import MRICore
import MRIIO

/// The checkpoint of a meta-training run: settings and the whole trainer state as JSON,
/// written atomically (a crash leaves the previous checkpoint intact).
public enum MetaCheckpoint {
    private struct Contents: Codable {
        var format = "metagrappa-meta-checkpoint-1"
        let options: MetaTrainer.Options
        let coils: Int
        let state: MetaTrainer.State
    }

    /// Writes the trainer's settings and state to `path`, atomically.
    public static func write(_ trainer: MetaTrainer, to path: String) throws {
        let data = try JSONEncoder().encode(Contents(options: trainer.options, coils: trainer.learner.coils, state: trainer.state))
        try AtomicFile.write(Array(data), to: path)
    }

    /// Reads a checkpoint and checks that it belongs to a run with these settings.
    public static func read(_ path: String, options: MetaTrainer.Options, coils: Int) throws -> MetaTrainer {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MRIError(.io, "\(path): no checkpoint to resume from (missing or unreadable)")
        }
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: data)
        } catch {
            throw MRIError(.format, "\(path): not a meta-training checkpoint (corrupt or another format)")
        }
        guard contents.options == options, contents.coils == coils else {
            throw MRIError(.invalidArgument,
                           "\(path): checkpoint was written by a run with other settings or another coil array; resume with the same options")
        }
        return try MetaTrainer(options: options, coils: coils, state: contents.state)
    }
}
