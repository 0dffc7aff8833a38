import Foundation
import PlatformModel

/// The makes, OS versions, places and failures of the simulated fleet.
enum DeviceProfiles {
    static let androidModels = ["Pixel 8", "Galaxy S23", "Xiaomi 14", "OPPO Find X7", "vivo X100", "Redmi Note 13", "HONOR Magic6"]
    static let iosModels = ["iPhone 15", "iPhone 15 Pro", "iPhone 14", "iPhone 13 mini", "iPhone SE (3rd gen)", "iPad Air"]
    static let harmonyModels = ["Mate 60 Pro", "P60", "nova 12"]
    static let cities = ["Hangzhou", "Shanghai", "Beijing", "Shenzhen", "Chengdu", "Singapore", "Kuala Lumpur", "Jakarta"]
    static let networks = ["wifi", "5g", "4g", "3g"]

    static func device(n: Int, seed: UInt64, platform: Platform, rng: inout SeededRandom) -> DeviceInfo {
        let (models, versions): ([String], [String])
        switch platform {
        case .android: (models, versions) = (androidModels, ["12", "13", "14", "15"])
        case .ios: (models, versions) = (iosModels, ["16.7", "17.2", "17.5", "18.1"])
        case .harmony: (models, versions) = (harmonyModels, ["4.0", "4.2", "5.0"])
        }
        return DeviceInfo(
            id: "sim-\(seed)-\(n)", os: platform, osVersion: versions.randomElement(using: &rng)!,
            model: models.randomElement(using: &rng)!, city: cities.randomElement(using: &rng)!,
            network: networks.randomElement(using: &rng)!)
    }

    /// The staged spike: the new checkout flow crashes in gray releases.
    static func checkoutCrash(platform: Platform, at: Date) -> SDKCrash {
        switch platform {
        case .ios:
            SDKCrash(kind: .crash, exceptionType: "EXC_BAD_ACCESS", message: "KERN_INVALID_ADDRESS at 0x0000000000000010", frames: [
                frame("objc_msgSend", app: false),
                frame("CheckoutViewModel.applyCoupon(_:)", "CheckoutViewModel.swift", 212),
                frame("CheckoutViewController.payTapped(_:)", "CheckoutViewController.swift", 88),
                frame("UIApplication.sendAction(_:to:from:for:)", app: false),
            ], at: at)
        default:
            SDKCrash(kind: .crash, exceptionType: "java.lang.NullPointerException",
                     message: "Attempt to invoke virtual method 'java.lang.String com.opsdeck.pay.Coupon.getCode()' on a null object reference", frames: [
                frame("com.opsdeck.checkout.CheckoutPresenter.applyCoupon", "CheckoutPresenter.kt", 212),
                frame("com.opsdeck.checkout.CheckoutFragment.onPayClicked", "CheckoutFragment.kt", 88),
                frame("android.view.View.performClick", app: false),
            ], at: at)
        }
    }

    /// The staged ANR regression: the home feed renders on the main thread.
    static func feedANR(platform: Platform, at: Date) -> SDKCrash {
        SDKCrash(kind: .anr, exceptionType: "ANR", message: "Input dispatching timed out (5004 ms)", frames: [
            frame("android.graphics.BitmapFactory.decodeStream", app: false),
            frame("com.opsdeck.feed.FeedAdapter.onBindViewHolder", "FeedAdapter.kt", 141),
            frame("com.opsdeck.feed.HomeFeedFragment.render", "HomeFeedFragment.kt", 57),
        ], at: at)
    }

    /// The background noise every app has.
    static func backgroundCrash(platform: Platform, rng: inout SeededRandom, at: Date) -> SDKCrash {
        let android: [(String, String, [StackFrame])] = [
            ("java.lang.IllegalStateException", "Fragment ProfileFragment not attached to a context", [
                frame("com.opsdeck.profile.ProfileFragment.onAvatarLoaded", "ProfileFragment.kt", 73)]),
            ("java.lang.OutOfMemoryError", "Failed to allocate a 33177612 byte allocation", [
                frame("com.opsdeck.media.ImageCache.put", "ImageCache.kt", 45)]),
            ("java.lang.IndexOutOfBoundsException", "Index: 3, Size: 3", [
                frame("com.opsdeck.cart.CartAdapter.getItem", "CartAdapter.kt", 30)]),
        ]
        let ios: [(String, String, [StackFrame])] = [
            ("NSInvalidArgumentException", "-[__NSCFNumber length]: unrecognized selector sent to instance", [
                frame("ProfileHeaderView.configure(with:)", "ProfileHeaderView.swift", 61)]),
            ("SIGABRT", "Fatal error: Index out of range", [
                frame("CartViewModel.item(at:)", "CartViewModel.swift", 27)]),
        ]
        let (type, message, frames) = (platform == .ios ? ios : android).randomElement(using: &rng)!
        return SDKCrash(kind: .crash, exceptionType: type, message: message, frames: frames, at: at)
    }

    static func frame(_ symbol: String, _ file: String? = nil, _ line: Int? = nil, app: Bool = true) -> StackFrame {
        StackFrame(symbol: symbol, file: file, line: line, inApp: app)
    }
}
