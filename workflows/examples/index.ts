// The example journeys written in TypeScript: a module of workflows to pass as `extraWorkflows`.
export { onboardingJourney } from './onboarding';
