import Foundation
import Reconstruction
import Testing
import TestSupport

/// The command line offers exactly the library's reconstruction settings (SettingCatalog):
/// every catalogued flag exists in `recon` and `evaluate`, and every option of their GRAPPA,
/// RAKI, Meta-GRAPPA and CS groups is catalogued, read from ArgumentParser's own description of
/// the commands.
@Suite struct SettingCatalogTests {
    /// `--flag` names per section title of `command`, from `--experimental-dump-help`.
    static func options(of command: String) throws -> [String: Set<String>] {
        let r = try metagrappa(command, "--experimental-dump-help")
        try #require(r.status == 0, "\(r.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let arguments = try #require((root["command"] as? [String: Any])?["arguments"] as? [[String: Any]])
        var sections: [String: Set<String>] = [:]
        for argument in arguments {
            let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }.filter { $0.count > 1 }
            sections[argument["sectionTitle"] as? String ?? "", default: []].formUnion(names.map { "--" + $0 })
        }
        return sections
    }

    @Test(arguments: ["recon", "evaluate"])
    func commandLineFlagsAreTheCatalogs(command: String) throws {
        let sections = try Self.options(of: command)
        let all = sections.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        let catalogued = Set(SettingCatalog.all.compactMap(\.flag))
        #expect(catalogued.subtracting(all).isEmpty, "\(command) lacks \(catalogued.subtracting(all).sorted())")
        let methodGroups = ["GRAPPA", "RAKI", "Meta-GRAPPA", "CS"].reduce(into: Set<String>()) { $0.formUnion(sections[$1] ?? []) }
        #expect(!methodGroups.isEmpty)
        #expect(methodGroups.subtracting(catalogued).isEmpty, "not catalogued: \(methodGroups.subtracting(catalogued).sorted())")
    }

    @Test func catalogNamesAreUniqueAndDefaultsAreTheLibrarys() throws {
        let keys = SettingCatalog.all.map(\.key)
        #expect(Set(keys).count == keys.count)
        let flags = SettingCatalog.all.compactMap(\.flag)
        #expect(Set(flags).count == flags.count)
        let byKey = Dictionary(uniqueKeysWithValues: SettingCatalog.all.map { ($0.key, $0) })
        #expect(byKey["seed"]?.defaultValue == "1" && byKey["plateau_window"]?.defaultValue == "100")
        #expect(byKey["lambda"]?.acceptsAuto == true && byKey["lambda"]?.python == "lamda")
    }
}
